package dev.herald.dispatcher.campaign;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a campaign is in its life: {@code scheduled → running ⇄ paused → completed | cancelled | failed}.
 *
 * <pre>{@code
 * if (record.status().isTerminal()) { ... }
 * }</pre>
 *
 * <p>{@code running} covers a stream in progress and the wait for deferred recipients to come due;
 * {@code failed} (the stream failed for good) may be resumed by an operator.
 */
public enum CampaignStatus {
    /** Waiting for its start instant. */
    SCHEDULED,
    /** Sending, or waiting for deferred recipients to come due. */
    RUNNING,
    /** Stopped by an operator; pending and deferred recipients wait for a resume. */
    PAUSED,
    /** Every audience member has a final outcome. */
    COMPLETED,
    /** Stopped for good by an operator; the rest got {@code failed:cancelled}. */
    CANCELLED,
    /** Its stream failed repeatedly (a store or the throttle shards); resumable. */
    FAILED,
    /**
     * Its stored record or outcome ledger failed its checks: listed (the error names the file and
     * what is wrong) but never run or changed; only ever shown, never stored.
     */
    DAMAGED;

    /** @return the lower-case name used in JSON, logs and the CLI */
    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the status named {@code wire} (any case) @throws IllegalArgumentException naming it if unknown */
    @JsonCreator
    public static CampaignStatus fromWire(String wire) {
        for (CampaignStatus s : values()) {
            if (s.name().equalsIgnoreCase(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown campaign status '" + wire + "'");
    }

    /** @return whether nothing more will happen to the campaign without an operator (completed, cancelled) */
    public boolean isTerminal() {
        return this == COMPLETED || this == CANCELLED;
    }
}
