// The differential webapp's WebSocket echo (JSR 356, found by Tomcat's
// annotation scan). Twin: diffapp.WsEcho / WsPlain in diffapp.py.
package diffapp;

import jakarta.websocket.OnMessage;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

@ServerEndpoint(value = "/ws", subprotocols = {"chat", "superchat"})
public class WsEcho {

    @OnMessage
    public String text(String message) {
        return message;
    }

    @OnMessage
    public ByteBuffer binary(ByteBuffer message) {
        return message;
    }
}
