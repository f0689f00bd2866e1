package dev.relay.web.security;

import dev.relay.api.ErrorCode;
import dev.relay.streaming.TransferException;

import java.util.regex.Pattern;

/** The documented rules for usernames and passwords (docs/protocol.md §1). */
public final class AccountPolicy {

    public static final int MIN_PASSWORD = 8;
    public static final int MAX_PASSWORD = 128;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._-]{3,32}");

    private AccountPolicy() {
    }

    /** The username, stripped, if it is valid. */
    public static String username(String username) {
        if (username == null || !USERNAME.matcher(username.strip()).matches()) {
            throw new TransferException(ErrorCode.INVALID_REQUEST, "A username has 3 to 32 characters: letters,"
                    + " digits, '.', '_' or '-'.");
        }
        return username.strip();
    }

    /** Any characters, counted as Java does (a character outside the BMP counts two). */
    public static String password(String password) {
        if (password == null || password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            throw new TransferException(ErrorCode.INVALID_REQUEST, "A password has " + MIN_PASSWORD + " to "
                    + MAX_PASSWORD + " characters.");
        }
        return password;
    }
}
