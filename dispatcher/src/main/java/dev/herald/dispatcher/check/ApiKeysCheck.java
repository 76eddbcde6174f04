package dev.herald.dispatcher.check;

import dev.herald.dispatcher.api.ApiKeys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code api-keys.json}: parses, and every entry has an id, a role and a SHA-256. Stateless. */
public final class ApiKeysCheck implements StoreCheck {

    @Override
    public String name() {
        return "API keys";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path file = dataDir.resolve(ApiKeys.FILE);
        if (!Files.exists(file)) {
            return new Result(0, List.of());
        }
        try {
            ApiKeys.open(dataDir);
            return new Result(1, List.of());
        } catch (IOException e) {
            String m = e.getMessage().replace("cannot read API keys from " + file + ": ", "");
            return new Result(1, List.of(new Finding(file, m.startsWith(file + ": ") ? m.substring(file.toString().length() + 2) : m)));
        }
    }
}
