import Foundation
import Hummingbird

/// `POST /cgi-bin/openapi/quota/get?access_token=…` with `{"cgi_path":"/cgi-bin/media/get"}` →
/// `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":…,"used":…,"remain":…}}` for the current China day.
/// As on the real server: a path without its leading `/` or with the host in front is 76003, a path the server
/// does not know is 76021 (this one knows only the APIs it serves), a body that is not that JSON is 47001.
extension SimResponder {
    func quotaGet(_ request: Request) async -> SimReply {
        if let error = await tokenError(request) { return .error(error, contentType: SimReply.jsonUTF8) }
        guard let buffer = try? await request.body.collect(upTo: 64 * 1024),
              let body = try? JSONDecoder().decode(QuotaGetRequest.self, from: Data(buffer.readableBytesView)),
              let path = body.cgiPath
        else { return .error(.dataFormat, contentType: SimReply.jsonUTF8) }
        guard path.hasPrefix("/"), !path.contains("://") else { return .error(.invalidCGIPath, contentType: SimReply.jsonUTF8) }
        guard let endpoint = SimEndpoint(path: path), endpoint != .cdn else {
            return .error(.cgiPathNotFound, contentType: SimReply.jsonUTF8)
        }
        let (limit, used) = await state.dailyQuota(of: endpoint)
        return .text(#"{"errcode":0,"errmsg":"ok","quota":{"daily_limit":\#(limit),"used":\#(used),"remain":\#(max(0, limit - used))}}"#,
                     contentType: SimReply.jsonUTF8)
    }
}

struct QuotaGetRequest: Decodable {
    var cgiPath: String?

    enum CodingKeys: String, CodingKey { case cgiPath = "cgi_path" }
}

extension WeChatError {
    static let invalidCGIPath = WeChatError(code: 76003, message: "invalid cgi_path")
    static let cgiPathNotFound = WeChatError(code: 76021, message: "cgi_path not found, please check")
}
