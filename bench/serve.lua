-- wrk script for bench/serve.sh: POSTs the request bodies of a file (one
-- JSON body per line) in turn, each connection starting at its own place,
-- so that the server sees different texts, not one text cached.
--
--   wrk -t2 -c64 -d20s --latency -s bench/serve.lua URL -- bodies.txt
local requests = {}
local n, i = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    n = n + 1
    requests[n] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, line)
  end
  i = math.random(n)
end

function request()
  i = i % n + 1
  return requests[i]
end
