package dev.relay.cli.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The user's config file: {@code $RELAY_CONFIG}, else {@code $XDG_CONFIG_HOME/relay/config.json}, else
 * {@code ~/.config/relay/config.json}. Other state (pending uploads) lives in the same directory.
 */
public final class ConfigStore {

    public static final String ENV_CONFIG = "RELAY_CONFIG";

    private final Path file;

    public ConfigStore(Path file) {
        this.file = file.toAbsolutePath();
    }

    public static ConfigStore locate(Map<String, String> env) {
        String explicit = env.get(ENV_CONFIG);
        if (explicit != null && !explicit.isBlank()) {
            return new ConfigStore(Path.of(explicit));
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return new ConfigStore(base.resolve("relay").resolve("config.json"));
    }

    public Path file() {
        return file;
    }

    public Path directory() {
        return file.getParent();
    }

    public Config load() throws IOException {
        try {
            Config config = JsonFiles.MAPPER.readValue(Files.readAllBytes(file), Config.class);
            return config.server() == null ? new Config(Config.DEFAULT_SERVER, config.username(), config.token(),
                    config.expiresAt()) : config;
        } catch (NoSuchFileException e) {
            return Config.empty();
        }
    }

    public void save(Config config) throws IOException {
        JsonFiles.write(file, config);
    }
}
