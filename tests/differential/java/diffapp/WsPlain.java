// A WebSocket echo without subprotocols. Twin: diffapp.WsPlain.
package diffapp;

import jakarta.websocket.OnMessage;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

@ServerEndpoint("/ws/plain")
public class WsPlain {

    @OnMessage
    public String text(String message) {
        return message;
    }

    @OnMessage
    public ByteBuffer binary(ByteBuffer message) {
        return message;
    }
}
