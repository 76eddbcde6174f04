package dev.herald.dispatcher.cluster;

/**
 * Marks the messages Herald's cluster nodes send each other: they are serialized as JSON by Pekko's
 * Jackson serializer (bound in {@link ClusterSettings#pekkoConfig()}). Every implementation is a
 * record (or an enum) of plain values, strings, byte arrays, lists and typed actor references.
 */
public interface ClusterMessage {
}
