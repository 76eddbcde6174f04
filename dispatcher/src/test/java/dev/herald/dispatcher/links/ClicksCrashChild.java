package dev.herald.dispatcher.links;

import dev.herald.dispatcher.links.ClickRules.ClickClass;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The child JVM of {@link ClicksCrashTest}: opens the clicks of campaigns {@link #CAMPAIGNS} under
 * {@code <dir>/campaigns} and records click {@code i = 0, 1, ...} (recipient {@code base + i},
 * campaign and kind by {@link #campaign} and {@link #kind}) in batches of {@value #BATCH}; once each
 * batch's {@link Clicks#awaitWritten} returned true it prints
 * {@code DURABLE <last i> <campaign>=<human>,<preview>,<bot>,<suspicious> ...}: the clicks of this
 * run written per campaign and class, by the classes {@link Clicks#record} answered. {@code DONE}
 * if it is never killed.
 */
public final class ClicksCrashChild {
    static final String[] CAMPAIGNS = {"spring", "autumn"};
    static final int BATCH = 40;
    static final String IPHONE = ClicksTest.IPHONE;

    private ClicksCrashChild() {
    }

    static String campaign(int i) {
        return CAMPAIGNS[i % 2];
    }

    /** The kind of click {@code i} is, by {@code i / 2 % 5} (so both campaigns get every kind). */
    static ClickClass kind(int i) {
        return switch (i / 2 % 5) {
            case 0 -> ClickClass.HUMAN;
            case 1 -> ClickClass.PREVIEW; // a WhatsApp card
            case 2, 3 -> ClickClass.BOT; // curl, then a browser's HEAD
            default -> ClickClass.SUSPICIOUS; // just delivered
        };
    }

    public static void main(String[] args) throws Exception {
        Path campaigns = Path.of(args[0]).resolve("campaigns");
        int base = Integer.parseInt(args[1]);
        for (String c : CAMPAIGNS) {
            Files.createDirectories(campaigns.resolve(c));
        }
        // kind SUSPICIOUS: delivered this very moment
        Clicks.DeliveredAt delivered = (campaign, recipient) -> kind(recipient - base) == ClickClass.SUSPICIOUS
                ? System.currentTimeMillis() : -1;
        long[][] queued = new long[CAMPAIGNS.length][ClickClass.values().length];
        Clicks clicks = Clicks.open(campaigns, ClicksTest.RULES, 100_000, delivered, Clock.systemUTC());
        for (int i = 0; i < 1_000_000; i++) {
            String agent = switch (i / 2 % 5) {
                case 1 -> "WhatsApp/2.23.20.0";
                case 2 -> "curl/8.4.0";
                default -> IPHONE;
            };
            ClickClass c = clicks.record(new LinkTokens.Link(campaign(i), 1 + i % 2, base + i, i % LinkTokens.MAX_LINKS), agent,
                    i / 2 % 5 == 3, Integer.toHexString(i));
            if (c != kind(i)) {
                throw new AssertionError("click " + i + " classed " + c + ", not " + kind(i));
            }
            queued[i % 2][c.ordinal()]++;
            if ((i + 1) % BATCH == 0) {
                if (!clicks.awaitWritten(30_000) || clicks.failed() > 0 || clicks.dropped() > 0) {
                    throw new AssertionError("not written: " + clicks.failed() + " failed, " + clicks.dropped() + " dropped");
                }
                StringBuilder line = new StringBuilder("DURABLE ").append(i);
                for (int k = 0; k < CAMPAIGNS.length; k++) {
                    line.append(' ').append(CAMPAIGNS[k]).append('=');
                    for (int j = 0; j < queued[k].length; j++) {
                        line.append(j == 0 ? "" : ",").append(queued[k][j]);
                    }
                }
                System.out.println(line);
                System.out.flush();
            }
        }
        System.out.println("DONE");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
