package dev.herald.dispatcher.check;

import dev.herald.suppression.StoredFiles;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code directory/pages/}: the recipient directory's id-ordered record pages, each file's header
 * and every page's checksum and layout. A damaged page file refuses the directory's open (delete
 * it to have it rebuilt from the map); an incomplete last page is a note. Stateless.
 */
public final class RecipientPagesCheck implements StoreCheck {

    @Override
    public String name() {
        return "recipient pages";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        List<VerifyResult> results = StoredFiles.checkRecipientPages(dataDir.resolve("directory"));
        List<Finding> damaged = new ArrayList<>();
        List<Finding> torn = new ArrayList<>();
        for (VerifyResult r : results) {
            if (r.isDamaged()) {
                damaged.add(Finding.of(r.file(), r.damage()));
            } else if (r.tornBytes() > 0) {
                torn.add(new Finding(r.file(), "incomplete last page (" + r.tornBytes() + " bytes at offset "
                        + r.tornAt() + "), dropped and reported at the next open, then rebuilt from the map"));
            }
        }
        return new Result(results.size(), damaged, torn);
    }
}
