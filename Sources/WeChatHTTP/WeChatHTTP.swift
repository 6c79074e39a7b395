// WeChatHTTP: the HTTP client of WeChat's temporary-media API over AsyncHTTPClient, built to survive the real
// server's traps. Only the composition root (WxMediaFSCLI) and the tests that speak HTTP import it.
//
// Shape: a download that classifies every answer by the robust rule of the API doc (attachment => bytes;
// otherwise a bounded JSON prefix: errcode => typed error, video_url => follow it) and streams bytes into a
// `MediaSink`; an upload that streams a multipart body from a file; the token fetchers. Both directions go
// through the `HTTPClient` the client was given (the process-wide one unless a test injects another). Time
// comes from an injected `APIClock`, so expiry and backoff are tested without sleeping.
@_exported import WeChatAPI
