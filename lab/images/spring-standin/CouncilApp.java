import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Spring Boot stand-in: SPRING_DATASOURCE_* settings, /actuator/health, /notes. */
public class CouncilApp {
    static final String URL = System.getenv("SPRING_DATASOURCE_URL").replace("jdbc:mysql:", "jdbc:mariadb:");
    static final String USER = System.getenv("SPRING_DATASOURCE_USERNAME");
    static final String PASSWORD = System.getenv("SPRING_DATASOURCE_PASSWORD");

    static Connection db() throws SQLException {
        return DriverManager.getConnection(URL, USER, PASSWORD);
    }

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
        server.createContext("/actuator/health", ex -> {
            try (Connection c = db(); Statement s = c.createStatement()) {
                s.execute("SELECT 1");
                send(ex, 200, "{\"status\":\"UP\",\"components\":{\"db\":{\"status\":\"UP\"}}}");
            } catch (SQLException e) {
                send(ex, 503, "{\"status\":\"DOWN\",\"components\":{\"db\":{\"status\":\"DOWN\"}}}");
            }
        });
        server.createContext("/notes", ex -> {
            try (Connection c = db()) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS council_notes (id INT AUTO_INCREMENT PRIMARY KEY, text VARCHAR(200))");
                }
                if ("POST".equals(ex.getRequestMethod())) {
                    String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    String text = form.startsWith("text=") ? URLDecoder.decode(form.substring(5), StandardCharsets.UTF_8) : form;
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO council_notes (text) VALUES (?)")) {
                        p.setString(1, text);
                        p.executeUpdate();
                    }
                }
                List<String> notes = new ArrayList<>();
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT text FROM council_notes ORDER BY id")) {
                    while (rs.next()) {
                        notes.add("\"" + rs.getString(1).replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
                    }
                }
                send(ex, 200, "{\"notes\":[" + String.join(",", notes) + "]}");
            } catch (SQLException e) {
                send(ex, 503, "{\"error\":\"" + e.getMessage().replace("\"", "'") + "\"}");
            }
        });
        server.start();
        System.out.println("council stand-in listening on 8080");
    }
}
