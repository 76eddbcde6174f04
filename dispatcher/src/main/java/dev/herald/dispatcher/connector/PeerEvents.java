package dev.herald.dispatcher.connector;

import java.io.IOException;
import java.util.List;

/**
 * What a real connector hears from its peer besides answers: which ids it gave accepted
 * messages, delivery receipts, and recipients' messages (replies). The connector calls these on
 * its own I/O threads and acknowledges the peer only once a call returned — each call returns
 * once what it was given is durable (or, for a receipt, matched or held), so a crash never loses
 * what the peer was told was taken.
 *
 * <pre>{@code
 * PeerEvents events = new PeerEvents() {
 *     public void accepted(String connector, OutboundMessage m, int part, int parts, String key) { idMap.put(...); }
 *     public void receipt(String connector, Receipt r) { receipts.match(r); }
 *     public void reply(String connector, Reply r) { inbound.handle(r.from(), r.text(), ...); }
 * };
 * }</pre>
 *
 * <p>Implementations are thread-safe.
 */
public interface PeerEvents {

    /** Ignores everything (a connector used without receipts or replies, as in benchmarks). */
    PeerEvents NONE = new PeerEvents() {
        @Override
        public void accepted(String connector, OutboundMessage message, int part, int parts, String key) {
        }

        @Override
        public void receipt(String connector, Receipt receipt) {
        }

        @Override
        public void reply(String connector, Reply reply) {
        }
    };

    /**
     * The peer accepted one part of {@code message}; called as each part is accepted (before the
     * next is sent, and before the send's stage completes), so that a receipt arriving right
     * after finds it.
     *
     * @param connector the connector's name
     * @param message   the message
     * @param part      the part, 1..parts
     * @param parts     the message's parts
     * @param key       the part's message id as a comparable key (see
     *                  {@link dev.herald.dispatcher.connector.smpp.MessageIds})
     * @throws IOException if it could not be made durable (the connector logs it; the part was
     *                     accepted all the same)
     */
    void accepted(String connector, OutboundMessage message, int part, int parts, String key) throws IOException;

    /**
     * A delivery receipt.
     *
     * @param connector the connector's name
     * @param receipt   the receipt
     * @throws IOException if it could not be stored; the connector then refuses it to the peer
     *                     (which sends it again)
     */
    void receipt(String connector, Receipt receipt) throws IOException;

    /**
     * A recipient's message.
     *
     * @param connector the connector's name
     * @param reply     the message
     * @throws IOException if it could not be stored; the connector then refuses it to the peer
     */
    void reply(String connector, Reply reply) throws IOException;

    /** A receipt's final state, as SMPP's {@code stat} / {@code message_state} name it. */
    enum DeliveryState {
        /** DELIVRD: on the handset. */
        DELIVERED(true),
        /** EXPIRED: the SMSC gave up within the validity period. */
        EXPIRED(true),
        /** UNDELIV: cannot be delivered. */
        UNDELIVERABLE(true),
        /** REJECTD: refused by the network. */
        REJECTED(true),
        /** DELETED: removed from the SMSC. */
        DELETED(true),
        /** UNKNOWN: the SMSC does not know (final per SMPP 3.4). */
        UNKNOWN(true),
        /** ACCEPTD: read by an operator, not yet delivered (intermediate). */
        ACCEPTED(false),
        /** ENROUTE: on its way (intermediate). */
        ENROUTE(false);

        private final boolean isFinal;

        DeliveryState(boolean isFinal) {
            this.isFinal = isFinal;
        }

        /** @return whether no later receipt is expected */
        public boolean isFinal() {
            return isFinal;
        }
    }

    /**
     * A delivery receipt.
     *
     * @param idKey the receipted message id as a comparable key
     * @param state the state it reports
     * @param error the SMSC's error code ({@code err:}), or empty
     * @param raw   the receipt as received (text, or a TLV summary), for logs and evidence
     */
    record Receipt(String idKey, DeliveryState state, String error, String raw) {
    }

    /**
     * A recipient's message.
     *
     * @param from the recipient's number as the peer gave it (E.164 with or without {@code +})
     * @param to   the number or sender id it was sent to
     * @param text the text
     */
    record Reply(String from, String to, String text) {
    }
}
