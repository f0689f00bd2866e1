package dev.relay.cli.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigStoreTests {

    @TempDir
    Path temp;

    @Test
    void aSavedConfigLoadsBackAndOnlyItsOwnerCanReadIt() throws Exception {
        ConfigStore store = new ConfigStore(temp.resolve("fresh/relay/config.json"));
        Instant expiry = Instant.parse("2030-01-02T03:04:05Z");

        store.save(Config.empty().withLogin("http://h:1", "alice", "tok.en.sig", expiry));

        assertThat(store.load()).isEqualTo(new Config("http://h:1", "alice", "tok.en.sig", expiry));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.directory())))
                .isEqualTo("rwx------");
        assertThat(Files.readString(store.file())).contains("\"expiresAt\" : \"2030-01-02T03:04:05Z\"");
        // No temporary files left beside it.
        try (var files = Files.list(store.directory())) {
            assertThat(files).containsExactly(store.file());
        }
    }

    @Test
    void aGroupReadableFileIsMadePrivateWhenRewritten() throws Exception {
        ConfigStore store = new ConfigStore(temp.resolve("config.json"));
        Files.writeString(store.file(), "{}");
        Files.setPosixFilePermissions(store.file(), PosixFilePermissions.fromString("rw-r--r--"));

        store.save(store.load().withLogin("http://h", "bob", "t", null));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
    }

    @Test
    void noFileMeansLoggedOutAgainstTheDefaultServer() throws Exception {
        Config config = new ConfigStore(temp.resolve("none.json")).load();

        assertThat(config.loggedIn()).isFalse();
        assertThat(config.server()).isEqualTo("http://localhost:8080");
        assertThat(new ConfigStore(temp.resolve("logout.json")).load().withoutToken().loggedIn()).isFalse();
    }

    @Test
    void theFileIsFoundThroughRelayConfigXdgOrHome() {
        assertThat(ConfigStore.locate(Map.of("RELAY_CONFIG", "/x/c.json", "HOME", "/home/a")).file())
                .isEqualTo(Path.of("/x/c.json"));
        assertThat(ConfigStore.locate(Map.of("XDG_CONFIG_HOME", "/xdg", "HOME", "/home/a")).file())
                .isEqualTo(Path.of("/xdg/relay/config.json"));
        assertThat(ConfigStore.locate(Map.of("HOME", "/home/a")).file())
                .isEqualTo(Path.of("/home/a/.config/relay/config.json"));
    }

    @Test
    void theRSocketEndpointSitsBesideTheHttpApi() {
        assertThat(new Config("http://localhost:8080", null, null, null).webSocketUri())
                .hasToString("ws://localhost:8080/rsocket");
        assertThat(new Config("https://relay.example/base/", null, null, null).webSocketUri())
                .hasToString("wss://relay.example/base/rsocket");
    }

    @Test
    void aTokenExpiresAtItsExpiryTime() {
        Instant at = Instant.parse("2030-01-01T00:00:00Z");
        Config config = new Config("http://h", "a", "t", at);
        assertThat(config.expired(at.minusSeconds(1))).isFalse();
        assertThat(config.expired(at)).isTrue();
        assertThat(new Config("http://h", "a", "t", null).expired(at)).isFalse();
    }
}
