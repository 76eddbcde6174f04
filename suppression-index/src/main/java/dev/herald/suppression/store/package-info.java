/**
 * One framed, checksummed, torn-tail-aware append-only log, and the one rule every log-like store
 * of Herald follows when it is damaged.
 *
 * <p><b>The rule.</b> A log is a header then frames. An incomplete last frame — a torn write: no
 * terminator, or shorter than its length — is dropped <em>and reported</em> ({@link
 * dev.herald.suppression.store.TornTails}: a warning naming the file, the offset and the bytes
 * dropped, and a counter). A complete frame that fails its checksum or its length check, anywhere
 * (the last one too, zero-filled bytes too), is damage: the store is refused with a {@link
 * dev.herald.suppression.store.DamagedStoreException} naming the file and the offset — never cut,
 * never rewritten, never skipped. The rule is implemented once, in {@link
 * dev.herald.suppression.store.FramedLog#scan}; the frame formats ({@link
 * dev.herald.suppression.store.FrameFormat}) only say whether the bytes at an offset are a whole
 * frame, an incomplete one, or a damaged one.
 *
 * <p><b>Why here.</b> The package lives in {@code suppression-index} because that module is the one
 * every other module depends on (the throttle and the dispatcher both do) and it is free of Pekko and
 * Micrometer: the suppression write-ahead log, the dispatcher's outcome ledger and its small text logs
 * all use this one implementation. It is a public API package, not {@code internal}, because the
 * dispatcher's stores are built on it; it has no Micrometer dependency, so the metric is a counter
 * and listener hook ({@link dev.herald.suppression.store.TornTails}) that the dispatcher's metrics bind.
 */
package dev.herald.suppression.store;
