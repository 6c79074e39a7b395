import Foundation
import Hummingbird

/// `GET /cgi-bin/token` and `POST /cgi-bin/stable_token`.
extension SimResponder {
    /// 40164 when the caller's address is not in the account's whitelist, with the address in errmsg as WeChat
    /// words it ("invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist").
    func ipRefusal(_ context: SimRequestContext) -> SimReply? {
        guard let allowed = state.ipWhitelist else { return nil }
        var ip = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if ip.hasPrefix("::ffff:") { ip = String(ip.dropFirst(7)) }
        guard !allowed.contains(ip) else { return nil }
        return .error(WeChatError(code: 40164, message: "invalid ip \(ip) ipv6 ::ffff:\(ip), not in whitelist"), contentType: SimReply.jsonUTF8)
    }

    func classicToken(_ request: Request) async -> SimReply {
        let query = request.uri.queryParameters
        guard query["grant_type"] == "client_credential" else {
            return .error(.invalidGrantType, contentType: SimReply.jsonUTF8)
        }
        if let error = await state.credentialError(appID: query["appid"], secret: query["secret"]) {
            return .error(error, contentType: SimReply.jsonUTF8)
        }
        let (token, expiresIn) = await state.issueClassicToken()
        return .text("{\"access_token\":\"\(token)\",\"expires_in\":\(expiresIn)}", contentType: SimReply.jsonUTF8)
    }

    func stableToken(_ request: Request) async -> SimReply {
        guard let buffer = try? await request.body.collect(upTo: 64 * 1024),
              let body = try? JSONDecoder().decode(StableTokenRequest.self, from: Data(buffer.readableBytesView))
        else { return .error(.dataFormat, contentType: SimReply.jsonUTF8) }
        guard body.grantType == "client_credential" else { return .error(.invalidGrantType, contentType: SimReply.jsonUTF8) }
        if let error = await state.credentialError(appID: body.appID.map { $0[...] }, secret: body.secret.map { $0[...] }) {
            return .error(error, contentType: SimReply.jsonUTF8)
        }
        switch await state.stableToken(forceRefresh: body.forceRefresh) {
        case .success(let (token, expiresIn)):
            return .text("{\"access_token\":\"\(token)\",\"expires_in\":\(expiresIn)}", contentType: SimReply.jsonUTF8)
        case .failure(let error):
            return .error(error, contentType: SimReply.jsonUTF8)
        }
    }
}

/// `{"grant_type","appid","secret","force_refresh"}`; force_refresh may come as a bool, a number or a string.
struct StableTokenRequest: Decodable {
    var grantType: String?
    var appID: String?
    var secret: String?
    var forceRefresh = false

    enum CodingKeys: String, CodingKey {
        case grantType = "grant_type", appID = "appid", secret, forceRefresh = "force_refresh"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        grantType = try container.decodeIfPresent(String.self, forKey: .grantType)
        appID = try container.decodeIfPresent(String.self, forKey: .appID)
        secret = try container.decodeIfPresent(String.self, forKey: .secret)
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .forceRefresh) {
            forceRefresh = flag
        } else if let number = try? container.decodeIfPresent(Int.self, forKey: .forceRefresh) {
            forceRefresh = number != 0
        } else if let text = try? container.decodeIfPresent(String.self, forKey: .forceRefresh) {
            forceRefresh = text == "true" || text == "1"
        }
    }
}
