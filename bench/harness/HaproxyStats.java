import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the cluster section asks of HAProxy, through its stats socket: are the nodes checked, how many sessions. */
final class HaproxyStats {

    private HaproxyStats() {
    }

    /** Until HAProxy's health checks (readiness) have passed on all {@code servers}: UP alone is its initial state. */
    static void awaitChecked(Path socket, int servers) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                List<Map<String, String>> rows = stat(socket);
                if (rows.size() == servers && rows.stream().allMatch(r -> r.get("status").equals("UP")
                        && r.get("check_status").contains("L7OK"))) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("HAProxy's servers are not all ready: " + rows);
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(200);
        }
    }

    /** HAProxy's current sessions by server (node1 is A, node2 is B). */
    static Map<String, Long> sessions(Path socket) throws IOException {
        Map<String, Long> sessions = new LinkedHashMap<>();
        for (Map<String, String> row : stat(socket)) {
            sessions.put(row.get("svname"), Long.parseLong(row.get("scur")));
        }
        return sessions;
    }

    /** The backend's server rows of {@code show stat} on HAProxy's stats socket, by column name. */
    private static List<Map<String, String>> stat(Path socket) throws IOException {
        String csv;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
            StringBuilder answer = new StringBuilder();
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            // HAProxy answers and closes.
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                answer.append(StandardCharsets.UTF_8.decode(buffer));
                buffer.clear();
            }
            csv = answer.toString();
        }
        String[] lines = csv.split("\n");
        List<String> header = Arrays.asList(lines[0].replaceFirst("^# ", "").split(","));
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(",", -1);
            if (fields.length < header.size() || !fields[header.indexOf("svname")].startsWith("node")) {
                continue;
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), fields[c]);
            }
            rows.add(row);
        }
        return rows;
    }
}
