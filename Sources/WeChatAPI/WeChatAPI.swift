// WeChatAPI: the HTTP client of WeChat's temporary-media API, built to survive the real server's traps.
//
// Shape: a token provider (one fetch shared by every waiter, a generation so a stale 40001 never refreshes
// twice) behind `AccessTokenSource`; a download that classifies every answer by the robust rule of the API doc
// (attachment => bytes; otherwise a bounded JSON prefix: errcode => typed error, video_url => follow it) and
// streams bytes into a `MediaSink`; an upload that streams a multipart body from a file. Time comes from an
// injected `APIClock`, so expiry and backoff are tested without sleeping. Tokens and the appsecret never reach
// a log line, an error or a description: URLs are redacted before they are logged.
