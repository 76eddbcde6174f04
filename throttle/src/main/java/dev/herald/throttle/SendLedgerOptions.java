package dev.herald.throttle;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.util.Locale;

/**
 * How a {@link SendLedger} stores its records: the store kind and K, the slots per recipient.
 *
 * <pre>{@code
 * SendLedgerOptions options = SendLedgerOptions.fromConfig(ConfigFactory.load()); // herald.frequency-caps
 * }</pre>
 *
 * <p>K bounds the sends remembered per recipient; it is part of the on-disk layout (a ledger
 * reopened with another K is refused). See {@link SendLedger} for what happens when all K
 * slots hold sends that still count.
 *
 * <p>Immutable and thread-safe.
 *
 * @param store         the record store
 * @param slotsPerUser  K, in {@code [2, 64]}; each slot is 8 bytes
 * @param expectedUsers ids the Chronicle store is sized for (it grows up to 4 times past it);
 *                      the memory-mapped store ignores it and grows by segments of 2^20 ids
 */
public record SendLedgerOptions(Store store, int slotsPerUser, int expectedUsers) {

    /** The record stores benchmarked for the ledger (see BENCHMARKS.md). */
    public enum Store {
        /** Dense memory-mapped array indexed by id, grown in segment files: the default, fastest. */
        MMAP,
        /** Chronicle Map keyed by id. */
        CHRONICLE
    }

    /** The largest K. */
    public static final int MAX_SLOTS = 64;

    /** Configuration path of the options. */
    public static final String PATH = "herald.frequency-caps";

    /**
     * @throws IllegalArgumentException if {@code store} is null, K is outside {@code [2, 64]} or
     *     {@code expectedUsers < 1}
     */
    public SendLedgerOptions {
        if (expectedUsers < 1) {
            throw new IllegalArgumentException("expected users must be at least 1, got " + expectedUsers);
        }
        if (store == null) {
            throw new IllegalArgumentException("send ledger store is missing");
        }
        if (slotsPerUser < 2 || slotsPerUser > MAX_SLOTS) {
            throw new IllegalArgumentException("slots per user must be in [2, " + MAX_SLOTS + "], got " + slotsPerUser);
        }
    }

    /** @return memory-mapped store, 8 slots (one 64-byte cache line per recipient), 10M users */
    public static SendLedgerOptions defaults() {
        return new SendLedgerOptions(Store.MMAP, 8, 10_000_000);
    }

    /**
     * Reads {@code store}, {@code slots-per-user} and {@code expected-users} under {@code herald.frequency-caps}.
     *
     * @param root the application configuration
     * @return the options
     * @throws ConfigException naming the key of a missing or bad value
     */
    public static SendLedgerOptions fromConfig(Config root) {
        Config c = root.getConfig(PATH);
        Store store;
        try {
            store = Store.valueOf(c.getString("store").trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(c.origin(), PATH + ".store", "must be mmap or chronicle, got '" + c.getString("store") + "'");
        }
        int slots = c.getInt("slots-per-user");
        if (slots < 2 || slots > MAX_SLOTS) {
            throw new ConfigException.BadValue(c.origin(), PATH + ".slots-per-user", "must be in [2, " + MAX_SLOTS + "], got " + slots);
        }
        int expected = c.getInt("expected-users");
        if (expected < 1) {
            throw new ConfigException.BadValue(c.origin(), PATH + ".expected-users", "must be at least 1, got " + expected);
        }
        return new SendLedgerOptions(store, slots, expected);
    }
}
