package dev.herald.dispatcher.service;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kannel (Debian's {@code kannel}: bearerbox and smsbox) on loopback ports, linked over SMPP to
 * an SMSC (the node test SMSC), for the HTTP-gateway tests.
 *
 * <p>Without bearerbox the calling test is skipped, unless {@code HERALD_PEER_TESTS=required}
 * ({@code .ci/run} sets it), when it fails. bearerbox may hang on SIGTERM with queued messages:
 * it is stopped with a timeout, then killed.
 */
final class KannelPeer implements AutoCloseable {

    static final Path BEARERBOX = Path.of("/usr/sbin/bearerbox");
    static final Path SMSBOX = Path.of("/usr/sbin/smsbox");

    private final Process bearerbox;
    private final Process smsbox;
    final int sendsmsPort;
    final Path dir;

    private KannelPeer(Process bearerbox, Process smsbox, int sendsmsPort, Path dir) {
        this.bearerbox = bearerbox;
        this.smsbox = smsbox;
        this.sendsmsPort = sendsmsPort;
        this.dir = dir;
    }

    static void requireKannel() {
        if (Files.isExecutable(BEARERBOX) && Files.isExecutable(SMSBOX)) {
            return;
        }
        String why = "the Kannel tests need " + BEARERBOX + " and " + SMSBOX + " (Debian: apt-get install -y kannel)";
        if ("required".equals(System.getenv("HERALD_PEER_TESTS"))) {
            fail(why + "; HERALD_PEER_TESTS=required");
        }
        Assumptions.abort("skipped: " + why);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * @param dir     where its configuration and logs go
     * @param smscPort the SMPP SMSC it links to (system-id herald, password secret)
     * @param getUrl  its sms-service's get-url (replies), Kannel escapes included
     * @return Kannel, its sendsms interface answering
     */
    static KannelPeer start(Path dir, int smscPort, String getUrl) throws Exception {
        requireKannel();
        int admin = freePort();
        int box = freePort();
        int sendsms = freePort();
        Path conf = dir.resolve("kannel.conf");
        Files.writeString(conf, """
                group = core
                admin-port = %d
                admin-password = secret
                smsbox-port = %d
                log-level = 1
                log-file = "%s"
                box-allow-ip = "127.0.0.1"
                dlr-storage = internal

                group = smsc
                smsc = smpp
                smsc-id = node
                host = 127.0.0.1
                port = %d
                transceiver-mode = true
                smsc-username = herald
                smsc-password = secret
                system-type = "VMA"
                msg-id-type = 0x00

                group = smsbox
                bearerbox-host = 127.0.0.1
                bearerbox-port = %d
                sendsms-port = %d
                log-level = 1
                log-file = "%s"

                group = sendsms-user
                username = herald
                password = secret
                concatenation = true
                max-messages = 10

                group = sms-service
                keyword = default
                catch-all = true
                max-messages = 0
                get-url = "%s"
                """.formatted(admin, box, dir.resolve("bearerbox.log"), smscPort, box, sendsms, dir.resolve("smsbox.log"),
                getUrl));
        Process bb = new ProcessBuilder(BEARERBOX.toString(), conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("bearerbox.out").toFile()).start();
        waitForPort(box, bb, "bearerbox", dir);
        Process sb = new ProcessBuilder(SMSBOX.toString(), conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("smsbox.out").toFile()).start();
        waitForPort(sendsms, sb, "smsbox", dir);
        return new KannelPeer(bb, sb, sendsms, dir);
    }

    private static void waitForPort(int port, Process p, String what, Path dir) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                fail(what + " exited (" + p.exitValue() + "); see " + dir);
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        fail(what + " did not open port " + port + " within 30 s; see " + dir);
    }

    String sendsmsUrl() {
        return "http://127.0.0.1:" + sendsmsPort + "/cgi-bin/sendsms";
    }

    @Override
    public void close() throws Exception {
        for (Process p : new Process[]{smsbox, bearerbox}) {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS); // bearerbox may hang on SIGTERM with queued messages
            }
        }
    }
}
