-- Sets a field of a hash only if it exists: a live job's new holder, never written back after the job ended.
-- KEYS[1]: the hash. ARGV[1]: the field, ARGV[2]: the value. Returns 1 when written, 0 when the field was absent.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
