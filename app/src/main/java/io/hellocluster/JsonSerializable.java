package io.hellocluster;

/**
 * Marker for every message that crosses nodes. Bound to Pekko's Jackson JSON serializer in {@code
 * application.conf}, so no message ever falls back to Java serialization.
 */
public interface JsonSerializable {}
