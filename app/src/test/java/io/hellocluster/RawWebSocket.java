package io.hellocluster;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written by hand on a plain socket, for what no well-behaved library does: stop
 * reading altogether (with a receive buffer as small as the kernel allows), or send frames of any
 * size and kind. Frames it sends are masked, as RFC 6455 requires of clients.
 */
final class RawWebSocket implements AutoCloseable {
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** What the server sent until the connection ended, and how it ended. */
  record Received(List<String> texts, int closeCode, String ending) {}

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /**
   * Connects and upgrades; returns once the server answered 101. {@code receiveBuffer} is set
   * before connecting, so that the TCP window the server sees is that small from the start.
   */
  static RawWebSocket open(int port, String pathAndQuery, int receiveBuffer) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(receiveBuffer);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(5000);
    RawWebSocket ws = new RawWebSocket(socket);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String request =
        "GET "
            + pathAndQuery
            + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1:"
            + port
            + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(nonce)
            + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n";
    ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
    ws.out.flush();
    String head = ws.readHead();
    if (!head.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(head));
    }
    return ws;
  }

  /** Sends one complete frame. */
  void send(int opcode, byte[] payload) throws IOException {
    sendHeader(opcode, payload.length, true);
    sendPayload(payload);
  }

  /**
   * Sends a frame header that announces {@code length} payload bytes; the payload, if any, is
   * written with {@link #sendPayload}. The mask key is all zeros, so payload bytes go out as they
   * are, which lets a test send a payload in pieces.
   */
  void sendHeader(int opcode, long length, boolean fin) throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
      header.write(0x80 | (int) length);
    } else if (length <= 0xFFFF) {
      header.write(0x80 | 126);
      header.write((int) (length >>> 8) & 0xFF);
      header.write((int) length & 0xFF);
    } else {
      header.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        header.write((int) (length >>> shift) & 0xFF);
      }
    }
    header.write(new byte[4]);
    out.write(header.toByteArray());
    out.flush();
  }

  void sendPayload(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Reads frames until the server ends the connection or {@code timeout} passes between two reads
   * (then the ending is "still open"). Pings are neither answered nor returned.
   */
  Received readUntilEnd(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    List<String> texts = new ArrayList<>();
    try {
      while (true) {
        int first = readByte();
        int opcode = first & 0x0F;
        long length = readByte() & 0x7F;
        if (length == 126) {
          length = (readByte() << 8) | readByte();
        } else if (length == 127) {
          length = 0;
          for (int i = 0; i < 8; i++) {
            length = (length << 8) | readByte();
          }
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
          return new Received(texts, -1, "eof");
        }
        if (opcode == TEXT) {
          texts.add(new String(payload, StandardCharsets.UTF_8));
        } else if (opcode == CLOSE) {
          int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
          return new Received(texts, code, "close frame");
        }
      }
    } catch (EOFException e) {
      return new Received(texts, -1, "eof");
    } catch (SocketTimeoutException e) {
      return new Received(texts, -1, "still open");
    } catch (SocketException e) {
      return new Received(texts, -1, "reset");
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  /** The response head, read byte by byte so that no frame after it is consumed. */
  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      head.write(readByte());
    }
    return head.toString(StandardCharsets.US_ASCII);
  }
}
