package io.inferbus.verticles.access;

import io.inferbus.inference.Priority;
import io.inferbus.verticles.config.InferbusConfig.Bucket;

/**
 * Who sent a request, as far as limits are concerned.
 *
 * @param bucketId the caller's rate-limit bucket: its key's name, or its IP when anonymous
 */
public record Caller(String name, boolean anonymous, String tier, Bucket bucket, String bucketId, Priority maxPriority) {

  public boolean mayUse(Priority priority) {
    return priority.ordinal() >= maxPriority.ordinal();
  }
}
