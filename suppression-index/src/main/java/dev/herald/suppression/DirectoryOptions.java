package dev.herald.suppression;

/**
 * How to open a {@link RecipientDirectory}.
 *
 * <p>{@code RecipientDirectory.open(dir, DirectoryOptions.defaults().withDefaultRegion("GB").withCapacity(2_000_000));}
 *
 * <p>Immutable and thread-safe.
 *
 * @param defaultRegion ISO 3166 alpha-2 region used to read national-format numbers (stored
 *                      upper-case), or null to accept international format only
 * @param capacity      expected number of recipients, used to size the Chronicle Map files when a
 *                      directory is created (about 120 bytes of disk per entry, allocated up
 *                      front); the maps grow past it, up to {@value #MAX_BLOAT_FACTOR} times, at
 *                      some cost in lookup speed. Ignored when the directory already exists: the
 *                      capacity it was created with is kept.
 * @param masterKey     the key that wraps the directory's data key: the personal data is then
 *                      stored encrypted (see {@link RecipientDirectory}); null for an unencrypted
 *                      directory. Must be the key the directory was created with (a wrong one, or
 *                      none for an encrypted directory, is refused at open)
 */
public record DirectoryOptions(String defaultRegion, long capacity, MasterKey masterKey) {

    /** Default {@link #capacity()}: ten million recipients. */
    public static final long DEFAULT_CAPACITY = 10_000_000L;
    /** Smallest accepted capacity. */
    public static final long MIN_CAPACITY = 1_000L;
    /** Largest accepted capacity: ids are {@code int}s. */
    public static final long MAX_CAPACITY = Integer.MAX_VALUE;
    /**
     * How many times its capacity a directory may grow to before registrations fail. Part of the
     * on-disk layout: crash recovery rebuilds the maps with it.
     */
    public static final double MAX_BLOAT_FACTOR = 8.0;

    /**
     * @throws IllegalArgumentException if the region is unknown or the capacity is outside
     *                                  [{@value #MIN_CAPACITY}, {@value #MAX_CAPACITY}]
     */
    public DirectoryOptions {
        if (defaultRegion != null) {
            defaultRegion = PhoneNumbers.canonicalRegion(defaultRegion);
        }
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [" + MIN_CAPACITY + ", " + MAX_CAPACITY
                    + "], got " + capacity);
        }
    }

    /** Unencrypted options. */
    public DirectoryOptions(String defaultRegion, long capacity) {
        this(defaultRegion, capacity, null);
    }

    /** @return no default region, {@value #DEFAULT_CAPACITY} entries, unencrypted */
    public static DirectoryOptions defaults() {
        return new DirectoryOptions(null, DEFAULT_CAPACITY, null);
    }

    /**
     * @param key the master key, or null for an unencrypted directory
     * @return a copy with that master key
     */
    public DirectoryOptions withMasterKey(MasterKey key) {
        return new DirectoryOptions(defaultRegion, capacity, key);
    }

    /**
     * @param region ISO 3166 alpha-2 code, or null for none
     * @return a copy with that default region
     * @throws IllegalArgumentException if the region is unknown
     */
    public DirectoryOptions withDefaultRegion(String region) {
        return new DirectoryOptions(region, capacity, masterKey);
    }

    /**
     * @param entries expected number of recipients
     * @return a copy with that capacity
     * @throws IllegalArgumentException if out of range
     */
    public DirectoryOptions withCapacity(long entries) {
        return new DirectoryOptions(defaultRegion, entries, masterKey);
    }

    /** @return the number normalisation these options imply */
    public PhoneNumbers phoneNumbers() {
        return PhoneNumbers.withDefaultRegion(defaultRegion);
    }
}
