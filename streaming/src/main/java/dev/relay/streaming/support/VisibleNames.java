package dev.relay.streaming.support;

import java.util.Locale;

/**
 * The policy for names other users see (file names, display names): no control characters, and none of the
 * invisible characters that change how the rest displays, Unicode categories Cf (format: direction overrides and
 * isolates, zero-width characters, the BOM, tags) and Zl, Zp (line and paragraph separators). With U+202E
 * "bidi\u202Etxt.exe" displays as "bidiexe.txt"; with U+2028 a name breaks a listing's lines.
 */
public final class VisibleNames {

    private VisibleNames() {
    }

    /**
     * Why {@code name} cannot be shown as it is (for a message to the client, starting with "must not contain"), or
     * null if it can. {@code what} names the thing checked ("The file name").
     */
    public static String problem(String what, String name) {
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c)) {
                return what + " must not contain control characters (found " + describe(c) + ").";
            }
            if (type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                return what + " must not contain invisible formatting, direction or separator characters (Unicode"
                        + " categories Cf, Zl, Zp; found " + describe(c) + "): they can make a name display as"
                        + " something else.";
            }
            i += Character.charCount(c);
        }
        return null;
    }

    private static String describe(int c) {
        String name = Character.getName(c);
        return String.format(Locale.ROOT, "U+%04X", c) + (name == null ? "" : " " + name);
    }
}
