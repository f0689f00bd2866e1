package dev.relay.cli;

/** A failure the CLI itself detects, with the exit code it ends with and a message meant for the user. */
public class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    public static CliException notLoggedIn(String message) {
        return new CliException(ExitCodes.AUTH, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
