-- A new job in one step: its entry, its request and its first holder, or nothing if the entry exists.
-- KEYS[1]: the entry, KEYS[2]: the request, KEYS[3]: the holders hash.
-- ARGV[1]: the entry, ARGV[2]: the request, ARGV[3]: the job id, ARGV[4]: the holder.
-- Returns 1 when created, 0 when a job with this id exists (left as it was).
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return 1
