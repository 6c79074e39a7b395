// WeChatAPI: the model of WeChat's temporary-media API, with no HTTP in it: media ids, requests and heads,
// errors and their categories, tokens (`TokenStateMachine`, `TokenProvider` behind `AccessTokenSource`), the
// retry and resend rules, the day's quota, follower messages. MediaFS imports this module only; the transport
// is WeChatHTTP's (AsyncHTTPClient), wired by the composition root (WxMediaFSCLI).
// Tokens and the appsecret never reach a log line, an error or a description: URLs are redacted before they
// are logged (Redaction.swift).
