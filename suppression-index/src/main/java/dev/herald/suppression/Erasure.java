package dev.herald.suppression;

/**
 * What {@link RecipientDirectory#erase} did: the recipient's record was replaced by an erased
 * marker; its id stays handed out and its number stays findable only through its keyed hash.
 *
 * @param id        the erased recipient's id (still found by {@link RecipientDirectory#idOf}, so
 *                  suppression by id keeps working)
 * @param phoneHash the keyed hash of the number ({@link RecipientDirectory#phoneHash}), not the number
 */
public record Erasure(int id, long phoneHash) {
}
