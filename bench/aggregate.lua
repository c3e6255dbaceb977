-- wrk script for bench/aggregate.py: POST {"unique_code": "<prefix>-<thread>-<n>"} with a bearer token.
--
-- Usage: wrk ... -s bench/aggregate.lua <url> -- <token> <prefix> <codes-per-thread>
--
-- Every request gets its own code: thread t sends <prefix>-t-1, <prefix>-t-2, ... (each wrk thread
-- has its own Lua state, so the counter is private to it). bench/aggregate.py registers exactly
-- <codes-per-thread> codes for each thread. If a thread ever runs past its range it sends a code
-- that was never registered, which the app answers with a non-2xx status that wrk reports, so the
-- run cannot silently measure the error path.

local next_thread_id = 0

function setup(thread)
    thread:set("thread_id", next_thread_id)
    next_thread_id = next_thread_id + 1
end

function init(args)
    token, prefix, limit = args[1], args[2], tonumber(args[3])
    counter = 0
    headers = {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
    }
end

function request()
    counter = counter + 1
    local code
    if counter <= limit then
        code = string.format("%s-%d-%d", prefix, thread_id, counter)
    else
        code = string.format("%s-%d-OVERRUN-%d", prefix, thread_id, counter)
    end
    return wrk.format("POST", nil, headers, '{"unique_code":"' .. code .. '"}')
end
