-- wrk script for bench/station.py: the station's scan, posted the way the page posts it.
--
-- Usage: wrk ... -s bench/station.lua <url> -- <prefix> <codes-per-thread> <cookie> <csrf> [<cookie> <csrf> ...]
--
-- POST <url> with the form body code=<prefix>-<thread>-<n> and the headers htmx sends from the
-- station page: the signed-in session cookie, X-CSRFToken (from hx-headers on <body>) and
-- HX-Request. Each <cookie> <csrf> pair is one signed-in station; requests go round-robin over
-- them. Every request gets its own code (each wrk thread has its own Lua state, so the counter is
-- private to it); bench/station.py registers exactly <codes-per-thread> codes per thread. A thread
-- that runs past its range sends a code that was never registered, which the app refuses.
--
-- wrk counts only 4xx/5xx as errors, so a 302 to the sign-in page or a 200 that is not an
-- accepted scan would pass unnoticed: response() counts as "ok" only a 200 whose fragment says
-- data-result="ok", everything else as "bad" (the first one is kept for the report). done()
-- prints those counts and the p95 latency, which wrk --latency does not print, as lines
-- starting with "station:" that bench/station.py reads.

local threads = {}
local next_thread_id = 0

function setup(thread)
    thread:set("thread_id", next_thread_id)
    next_thread_id = next_thread_id + 1
    table.insert(threads, thread)
end

function init(args)
    prefix, limit = args[1], tonumber(args[2])
    stations = {}
    for i = 3, #args - 1, 2 do
        table.insert(stations, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Cookie"] = "session=" .. args[i],
            ["X-CSRFToken"] = args[i + 1],
            ["HX-Request"] = "true",
        })
    end
    counter, ok, bad, first_bad = 0, 0, 0, ""
end

function request()
    counter = counter + 1
    local code
    if counter <= limit then
        code = string.format("%s-%d-%d", prefix, thread_id, counter)
    else
        code = string.format("%s-%d-OVERRUN-%d", prefix, thread_id, counter)
    end
    local headers = stations[(counter + thread_id) % #stations + 1]
    return wrk.format("POST", nil, headers, "code=" .. code)
end

function response(status, headers, body)
    if status == 200 and body and string.find(body, 'data-result="ok"', 1, true) then
        ok = ok + 1
    else
        bad = bad + 1
        if first_bad == "" then
            first_bad = string.format("status %d: %s", status, string.sub(body or "", 1, 300))
        end
    end
end

function done(summary, latency, requests)
    local total_ok, total_bad, example = 0, 0, ""
    for _, thread in ipairs(threads) do
        total_ok = total_ok + thread:get("ok")
        total_bad = total_bad + thread:get("bad")
        if example == "" then
            example = thread:get("first_bad")
        end
    end
    io.write(string.format("station: p95_us %d\n", latency:percentile(95)))
    io.write(string.format("station: ok %d bad %d\n", total_ok, total_bad))
    if example ~= "" then
        io.write("station: first_bad " .. string.gsub(example, "\n", " ") .. "\n")
    end
end
