package dev.herald.dispatcher.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code herald serve}: the HTTP API on embedded defaults, until SIGTERM (or Ctrl-C), which stops
 * running campaigns cleanly so that the next start resumes them.
 */
@Command(name = "serve", description = {
        "Starts the HTTP API (default 127.0.0.1:8080) with the data in --data-dir and the simulated connector.",
        "On first start with an empty data directory an admin API key is created and printed once (only its hash is "
                + "stored); HERALD_API_KEY in the environment sets the admin key instead.",
        "SIGTERM stops it cleanly: running campaigns stop and keep their place, and resume on the next start.",
        "Configuration: herald.service.* (see docs/configuration.md); --config FILE overrides the defaults, -Dkey=value overrides both."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", description = "Interface to listen on (default: herald.service.host, 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: herald.service.port, 8080; 0: any free port).")
    Integer port;

    @Option(names = "--config", paramLabel = "FILE", description = "A HOCON file overriding the defaults.")
    Path configFile;

    @Option(names = "--cluster", description = "Run as a node of a Herald cluster (herald.cluster.enabled; see docs/cluster.md).")
    boolean cluster;

    @Option(names = "--node-host", paramLabel = "HOST", description = "With --cluster: this node's cluster address, as the"
            + " other nodes reach it (herald.cluster.hostname, 127.0.0.1).")
    String nodeHost;

    @Option(names = "--node-port", paramLabel = "PORT", description = "With --cluster: this node's cluster port (herald.cluster.port).")
    Integer nodePort;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "With --cluster: a node to join through (repeatable;"
            + " herald.cluster.seed-nodes; none: this node starts the cluster).")
    java.util.List<String> seeds;

    @Option(names = "--storage-root", paramLabel = "DIR", description = "With --cluster: the folder of every partition"
            + " (herald.cluster.storage-root; default: <data-dir>/partitions).")
    Path storageRoot;

    @Override
    public Integer call() throws Exception {
        HeraldCommand root = (HeraldCommand) spec.root().userObject();
        Config config = ConfigFactory.load();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                throw new IllegalArgumentException("--config: no such file: " + configFile);
            }
            config = ConfigFactory.defaultOverrides().withFallback(ConfigFactory.parseFile(configFile.toFile()))
                    .withFallback(ConfigFactory.load()).resolve();
        }
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress(host, port);
        java.util.Map<String, String> env = System.getenv();
        if (root.masterKeyFile != null) { // handed to the service as its file variable: one way in, one message
            env = new java.util.HashMap<>(env);
            env.put(dev.herald.dispatcher.MasterKeySource.FILE_ENV, root.masterKeyFile.toString());
        }
        if (cluster || config.getBoolean("herald.cluster.enabled")) {
            return serveCluster(root, config, settings, env);
        }
        HeraldService service = HeraldService.start(root.dataDir, config, settings, env,
                spec.commandLine().getOut());
        spec.commandLine().getOut().printf("herald serving on http://%s:%d (data in %s); stop with SIGTERM or Ctrl-C%n",
                settings.host(), service.port(), root.dataDir);
        spec.commandLine().getOut().flush();
        service.whenTerminated().toCompletableFuture().join();
        return 0;
    }

    /**
     * As a cluster node: until SIGTERM (exit 0) or until the cluster downs this node (exit 3, from
     * Pekko's coordinated shutdown: {@code exit-jvm}, the downing reason's {@code exit-code} 3).
     */
    private int serveCluster(HeraldCommand root, Config config, ServiceSettings settings, java.util.Map<String, String> env)
            throws Exception {
        java.util.Map<String, Object> overrides = new java.util.HashMap<>();
        overrides.put("herald.cluster.enabled", true);
        // downed by the cluster: the node stops its partitions, then the process exits with 3 (even
        // if the actor system's last phase hangs); SIGTERM still ends it through the JVM's own exit
        overrides.put("pekko.coordinated-shutdown.exit-jvm", "on");
        if (nodeHost != null) {
            overrides.put("herald.cluster.hostname", nodeHost);
        }
        if (nodePort != null) {
            overrides.put("herald.cluster.port", nodePort);
        }
        if (seeds != null) {
            overrides.put("herald.cluster.seed-nodes", seeds);
        }
        if (storageRoot != null) {
            overrides.put("herald.cluster.storage-root", storageRoot.toString());
        }
        Config withCli = ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.parseString(
                "pekko.coordinated-shutdown.reason-overrides {\n"
                        + "  \"org.apache.pekko.actor.CoordinatedShutdown$ClusterDowningReason$\".exit-code = 3\n}"))
                .withFallback(config);
        dev.herald.dispatcher.cluster.ClusterSettings cs = dev.herald.dispatcher.cluster.ClusterSettings.fromConfig(withCli,
                root.dataDir, settings.directoryCapacity());
        dev.herald.dispatcher.cluster.ClusterNode node = dev.herald.dispatcher.cluster.ClusterNode.start(root.dataDir,
                withCli, settings, cs, env, spec.commandLine().getOut());
        spec.commandLine().getOut().printf("herald cluster node %s:%d serving on http://%s:%d (partitions under %s);"
                + " stop with SIGTERM or Ctrl-C%n", cs.hostname(), cs.port(), settings.host(), node.port(), cs.storageRoot());
        spec.commandLine().getOut().flush();
        node.whenTerminated().toCompletableFuture().join();
        return node.downed() ? 3 : 0;
    }
}
