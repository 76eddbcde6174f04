package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.Priority;

/** Test fixtures: valid outbound messages. */
final class Messages {

    private Messages() {
    }

    static OutboundMessage to(String campaign, int recipientId) {
        return new OutboundMessage(campaign, recipientId, "+4474" + String.format("%08d", recipientId), "ACME",
                "Hi!\nReply STOP to opt out", Encoding.GSM_7, 1, Priority.MARKETING, "sms");
    }
}
