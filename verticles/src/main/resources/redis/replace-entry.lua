-- Compare-and-set of one job's entry: written only if nobody wrote since it was read.
-- KEYS[1]: the entry. ARGV[1]: the entry as read, ARGV[2]: the new entry, ARGV[3]: ms to keep it (0: no expiry).
-- Returns 1 when written, 0 when the entry changed meanwhile (the caller reads it again).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
