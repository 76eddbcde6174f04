package dev.herald.suppression;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Child process of {@link DirectoryCrashTest}: registers new numbers and changes the fields and
 * zones of earlier ones (mostly on pages already written) forever, flushing now and then, and
 * appends each registration's id to an acknowledgement file after it returns. It is killed with
 * SIGKILL. Arguments: directory, acknowledgement file, first number, seed.
 */
public final class DirectoryCrashWriterMain {
    private static final String[] ZONES = {"Europe/London", "Europe/Paris", "Asia/Tokyo"};

    private DirectoryCrashWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Path acks = Path.of(args[1]);
        int first = Integer.parseInt(args[2]);
        SplittableRandom rnd = new SplittableRandom(Long.parseLong(args[3]));
        RecipientDirectory d = RecipientDirectory.open(dir, DirectoryOptions.defaults().withCapacity(100_000));
        FileOutputStream out = new FileOutputStream(acks.toFile(), true);
        System.out.println("READY");
        System.out.flush();
        int next = first;
        for (long k = 0; ; k++) {
            int size = d.size();
            String phone;
            if (size > 0 && rnd.nextInt(3) == 0) {
                phone = d.get(rnd.nextInt(size)).orElseThrow().e164(); // an update
            } else {
                phone = "+4474002" + String.format("%05d", next++);
            }
            int id = d.register(phone, ZONES[rnd.nextInt(ZONES.length)], null,
                    Map.of("first_name", "N" + k, "tier", rnd.nextBoolean() ? "gold" : "x".repeat(1 + rnd.nextInt(80)))).id();
            out.write((id + "\n").getBytes(StandardCharsets.US_ASCII)); // reaches the kernel: survives SIGKILL
            if (rnd.nextInt(500) == 0) {
                d.flush();
            }
        }
    }
}
