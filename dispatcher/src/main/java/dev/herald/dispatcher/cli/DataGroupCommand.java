package dev.herald.dispatcher.cli;

import picocli.CommandLine.Command;

/** {@code herald data …}: commands about the data directory as a whole. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Commands about the data directory as a whole.",
        subcommands = {DataCheckCommand.class})
final class DataGroupCommand {
}
