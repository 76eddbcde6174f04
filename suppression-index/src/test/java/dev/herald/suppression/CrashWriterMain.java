package dev.herald.suppression;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child process of {@link CrashSafetyTest}: adds opt-outs from 4 threads forever and, after each
 * {@code optOut} returns, appends the id to an acknowledgement file. It is killed with SIGKILL.
 * Every few thousand ids it compacts, so kills also land inside compactions.
 */
public final class CrashWriterMain {
    private CrashWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path acks = Path.of(args[1]);
        int start = Integer.parseInt(args[2]);
        SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(256 * 1024));
        FileOutputStream out = new FileOutputStream(acks.toFile(), true);
        AtomicInteger next = new AtomicInteger(start);
        Runnable writer = () -> {
            try {
                while (true) {
                    int id = next.getAndIncrement();
                    Scope scope = id % 2 == 0 ? Scope.GLOBAL : Scope.sender("acme");
                    index.optOut(id, null, scope, ConsentEvidence.of(ConsentSource.KEYWORD).rawText("STOP"));
                    byte[] line = (id + "\n").getBytes(StandardCharsets.US_ASCII);
                    synchronized (out) {
                        out.write(line); // reaches the kernel before the next line: survives SIGKILL
                    }
                    if (id % 5000 == 0) {
                        index.compact();
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
                System.exit(3);
            }
        };
        for (int t = 0; t < 4; t++) {
            new Thread(writer, "crash-writer-" + t).start();
        }
        System.out.println("READY");
        System.out.flush();
    }
}
