-- wrk script: password sign-ins through the JSON API, counting answers by
-- status so 5xx can be reported. Usage:
--   wrk -t2 -c500 -d20s -s internal/benchserver/signin.lua http://127.0.0.1:8181
wrk.method = "POST"
wrk.path = "/auth/api/sign-in"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"load@example.com","password":"violet tractor umbrella 42"}'

counts = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d: %d\n", k, v)) end
end
