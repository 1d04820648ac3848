-- post.lua - what Dovecot 2.3 sends for one login (auth_policy_request_
-- attributes at their default, plus tls), as wrk's one repeated request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "dovecot/auth-policy-client"
local key = os.getenv("AUTHPOLICY_SECRET")
if key and key ~= "" then
	wrk.headers["X-API-Key"] = key
end
wrk.body = '{"device_id":"","login":"taro.yamada@example.jp",' ..
	'"protocol":"imap","pwhash":"8e3","remote":"203.0.113.45",' ..
	'"session_id":"Vd9sYpC0Ik8HAqAB","tls":true}'
