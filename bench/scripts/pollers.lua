-- wrk script: each connection is a status poller that waits POLL_MS between its requests
-- (a dashboard or marketing tool polling a campaign), instead of wrk's default closed loop.
--   POLL_MS=100 wrk -t2 -c200 -d30s --latency -s bench/scripts/pollers.lua -H "Authorization: Bearer $K" URL
local poll_ms = tonumber(os.getenv("POLL_MS") or "100")

function delay()
  return poll_ms
end
