-- One token bucket, refilled continuously, taken from atomically with Redis's own clock so every
-- API node sees the same bucket. KEYS[1]: the bucket. ARGV[1]: tokens per millisecond, ARGV[2]: size.
-- Returns {allowed (0/1), tokens left (whole), ms until full, ms until the next token when refused}.
local rate = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or size
local at = tonumber(state[2]) or now
tokens = math.min(size, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
local untilFull = math.ceil((size - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], untilFull + 1000)
local retry = 0
if allowed == 0 then
  retry = math.ceil((1 - tokens) / rate)
end
return {allowed, math.floor(tokens), untilFull, retry}
