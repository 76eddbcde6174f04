package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key file several processes share ({@link ApiKeys#openShared}): each {@link ApiKeys#sharedView}
 * stands for one process's view (a node, or a partition on another node), with its own cache of the
 * file, so what one changes the other must see through the file alone.
 */
class ApiKeysSharedTest {

    private static final String ADMIN = "hk_shared_test_admin_key_0123456789";
    private static final Duration CHECK = Duration.ofMillis(200);

    @Test
    void shouldMakeAKeyMadeByOneProcessWorkAtOnceInAnother(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cluster/api-keys.json");
        ApiKeys a = ApiKeys.sharedView(file, Duration.ofHours(1));
        ApiKeys b = ApiKeys.sharedView(file, Duration.ofHours(1));
        a.bootstrap(ADMIN);
        b.bootstrap(ADMIN); // the same admin key: not added twice
        assertEquals(1, b.list().size(), b.list().toString());
        ApiKeys.Created sender = a.create(Role.SENDER, "crm");
        // b looked at the file an hour ago at most: a key it does not know makes it look again
        assertEquals(Role.SENDER, b.verify(sender.key()).orElseThrow().role());
        assertEquals(2, b.list().size());
        assertTrue(Files.exists(file), "the keys are in the shared file");
    }

    @Test
    void shouldRefuseARevokedKeyInEveryProcessWithinTheCheckInterval(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys a = ApiKeys.sharedView(file, CHECK);
        ApiKeys b = ApiKeys.sharedView(file, CHECK);
        a.bootstrap(ADMIN);
        ApiKeys.Created sender = a.create(Role.SENDER, "");
        assertTrue(b.verify(sender.key()).isPresent());
        long revoked = System.nanoTime();
        assertTrue(a.revoke(sender.stored().id()));
        assertTrue(a.verify(sender.key()).isEmpty(), "refused at once where it was revoked");
        while (b.verify(sender.key()).isPresent()) {
            assertTrue(System.nanoTime() - revoked < CHECK.toNanos() + Duration.ofMillis(300).toNanos(),
                    "still accepted by the other process " + (System.nanoTime() - revoked) / 1_000_000 + " ms after its revocation");
            Thread.sleep(10);
        }
        assertFalse(b.list().stream().anyMatch(k -> k.id().equals(sender.stored().id())));
    }

    @Test
    void shouldKeepEveryKeyWhenProcessesCreateAtOnce(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("api-keys.json");
        List<ApiKeys> views = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            views.add(ApiKeys.sharedView(file, CHECK));
        }
        views.get(0).bootstrap(ADMIN);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ApiKeys.Created>> made = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                ApiKeys v = views.get(i % views.size());
                made.add(pool.submit(() -> {
                    go.await();
                    return v.create(Role.ANALYST, "k");
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<ApiKeys.Created> f : made) {
                ids.add(f.get().stored().id());
            }
            ApiKeys fresh = ApiKeys.open(dir); // the file as a single node reads it: the same format
            assertEquals(41, fresh.list().size(), "every key made survives, and the admin key");
            Set<String> stored = new HashSet<>();
            fresh.list().forEach(k -> stored.add(k.id()));
            assertTrue(stored.containsAll(ids));
            for (ApiKeys v : views) {
                assertEquals(41, v.list().size());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldNotRevokeTheLastAdminKeyEvenWhenAnotherProcessRevokedTheOther(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys a = ApiKeys.sharedView(file, Duration.ofHours(1));
        ApiKeys b = ApiKeys.sharedView(file, Duration.ofHours(1));
        a.bootstrap(ADMIN);
        ApiKeys.Created second = a.create(Role.ADMIN, "");
        String first = a.list().get(0).id();
        assertTrue(b.verify(second.key()).isPresent()); // b knows both admin keys now
        assertTrue(a.revoke(second.stored().id()));
        // b's cache still holds two admin keys: the change is judged on the file, not on it
        IllegalStateException last = assertThrows(IllegalStateException.class, () -> b.revoke(first));
        assertTrue(last.getMessage().contains("last admin key"), last.getMessage());
        assertEquals(1, ApiKeys.open(dir).list().size());
        assertFalse(b.revoke("key_nosuchkey"));
    }

    @Test
    void shouldKeepTheLastGoodKeysAndRefuseChangesWhileTheFileIsDamaged(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys a = ApiKeys.sharedView(file, CHECK);
        a.bootstrap(ADMIN);
        ApiKeys.Created viewer = a.create(Role.ANALYST, "");
        byte[] damaged = "[{\"id\": \"key_1\", \"role\": \"admin\", \"sha256\": \"".getBytes(StandardCharsets.UTF_8);
        Files.write(file, damaged);
        Thread.sleep(CHECK.toMillis() + 50);
        assertTrue(a.verify(ADMIN).isPresent(), "the keys read before stay in force");
        assertTrue(a.verify(viewer.key()).isPresent());
        assertTrue(a.verify("hk_unknown_key_000000000000000000").isEmpty());
        IOException refused = assertThrows(IOException.class, () -> a.create(Role.SENDER, ""));
        assertTrue(refused.getMessage().contains(file.toString()) && refused.getMessage().contains("repaired"),
                refused.getMessage());
        assertThrows(IOException.class, () -> a.revoke(viewer.stored().id()));
        assertEquals(new String(damaged, StandardCharsets.UTF_8), Files.readString(file), "a damaged file is never overwritten");
        // a process starting now refuses, naming the file
        IOException start = assertThrows(IOException.class, () -> ApiKeys.sharedView(file, CHECK));
        assertTrue(start.getMessage().contains(file.toString()), start.getMessage());
    }

    @Test
    void shouldGiveOneViewPerFileInAProcess(@TempDir Path dir) throws Exception {
        ApiKeys one = ApiKeys.openShared(dir.resolve("k/api-keys.json"), CHECK);
        assertSame(one, ApiKeys.openShared(dir.resolve("k/../k/api-keys.json"), CHECK));
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.sharedView(dir.resolve("x.json"), Duration.ZERO));
    }
}
