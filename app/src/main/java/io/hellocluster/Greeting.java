package io.hellocluster;

import java.time.Instant;

/**
 * One broadcast, as published on the cluster topic.
 *
 * @param epoch identifies an unbroken numbering: {@code seq} only ever grows within one epoch
 * @param seq position of this greeting in its epoch, starting at 1
 * @param text what the greeting says
 * @param sentAt when the broadcaster published it
 * @param delayMillis the randomly drawn wait that preceded it
 * @param broadcaster the name of the node that sent it
 */
public record Greeting(
    String epoch, long seq, String text, Instant sentAt, long delayMillis, String broadcaster)
    implements JsonSerializable {}
