package dev.herald.dispatcher.connector;

import java.time.Instant;

/**
 * One line of a {@link SimulatedConnector}'s accepted log: a message the peer took.
 *
 * <p>{@code long sent = SimulatedConnector.readLog(file).stream().filter(e -> e.campaignId().equals("42")).count();}
 *
 * <p>Immutable and thread-safe.
 *
 * @param acceptedAtMillis when it was accepted, epoch milliseconds
 * @param campaignId       the campaign
 * @param recipientId      the recipient's dense id
 * @param messageId        the id the connector answered with
 */
public record AcceptedLogEntry(long acceptedAtMillis, String campaignId, int recipientId, String messageId) {

    /** @return {@link #acceptedAtMillis} as an instant */
    public Instant acceptedAt() {
        return Instant.ofEpochMilli(acceptedAtMillis);
    }
}
