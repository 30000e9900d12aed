// The servlet of the differential test, deployed on the private Tomcat.
// Its Python twin is tests/differential/webapp/WEB-INF/classes/diffapp.py:
// every behaviour here has the same lines there, and both write the same
// text for the same request. Output is ASCII: other characters are written
// as \\uXXXX (UTF-16 code units), so the bytes compare across the two.
package diffapp;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;

public class DiffServlet extends HttpServlet {

    static String esc(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        handle(req, resp);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        handle(req, resp);
    }

    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        handle(req, resp);
    }

    @Override
    protected void doDelete(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        handle(req, resp);
    }

    private void handle(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String what = (String) req.getAttribute(RequestDispatcher.INCLUDE_SERVLET_PATH);
        if (what == null) {
            what = req.getServletPath();
        }
        if (what.endsWith(".do")) {
            what = "/echo";
        }
        switch (what) {
            case "/echo": echo(req, resp); break;
            case "/session": session(req, resp); break;
            case "/redirect": resp.sendRedirect(req.getParameter("to")); break;
            case "/forward": req.getRequestDispatcher(req.getParameter("to")).forward(req, resp); break;
            case "/include": {
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF include\n");
                req.getRequestDispatcher(req.getParameter("to")).include(req, resp);
                break;
            }
            case "/error": {
                int code = Integer.parseInt(req.getParameter("code"));
                String msg = req.getParameter("msg");
                if (msg == null) {
                    resp.sendError(code);
                } else {
                    resp.sendError(code, msg);
                }
                break;
            }
            case "/status": {
                resp.setStatus(Integer.parseInt(req.getParameter("code")));
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF status\n");
                break;
            }
            case "/throw": throw new ServletException("failed on purpose");
            case "/flushthrow": {
                // Fails after the response is committed (chunked, part sent).
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF partial\n");
                resp.flushBuffer();
                throw new ServletException("failed after commit");
            }
            case "/type": {
                resp.setContentType(req.getParameter("ct"));
                String enc = req.getParameter("enc");
                if (enc != null) {
                    resp.setCharacterEncoding(enc);
                }
                resp.getWriter().print("DIFF type " + esc(req.getParameter("text")) + "\n");
                break;
            }
            case "/cookie": {
                Cookie cookie = new Cookie(req.getParameter("name"), req.getParameter("value"));
                if (req.getParameter("path") != null) {
                    cookie.setPath(req.getParameter("path"));
                }
                if (req.getParameter("domain") != null) {
                    cookie.setDomain(req.getParameter("domain"));
                }
                if (req.getParameter("attr") != null) {
                    cookie.setAttribute(req.getParameter("attr"), req.getParameter("attrvalue"));
                }
                if (req.getParameter("maxage") != null) {
                    cookie.setMaxAge(Integer.parseInt(req.getParameter("maxage")));
                }
                if (req.getParameter("httponly") != null) {
                    cookie.setHttpOnly(true);
                }
                if (req.getParameter("secure") != null) {
                    cookie.setSecure(true);
                }
                resp.addCookie(cookie);
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF cookie\n");
                break;
            }
            case "/header": {
                resp.setHeader(req.getParameter("name"), req.getParameter("value"));
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF header\n");
                break;
            }
            case "/encode": {
                // URL rewriting: a session is made first when asked (?create).
                if (req.getParameter("create") != null) {
                    req.getSession(true);
                }
                resp.setContentType("text/plain");
                StringBuilder out = new StringBuilder("DIFF encode\n");
                for (String url : req.getParameterValues("url")) {
                    out.append("url ").append(esc(url)).append(": ").append(esc(resp.encodeURL(url)))
                            .append(" | ").append(esc(resp.encodeRedirectURL(url))).append('\n');
                }
                resp.getWriter().print(out);
                break;
            }
            case "/reader": {
                // The body as characters, decoded by the container.
                StringBuilder text = new StringBuilder();
                char[] buf = new char[4096];
                int n;
                java.io.BufferedReader reader = req.getReader();
                while ((n = reader.read(buf)) > 0) {
                    text.append(buf, 0, n);
                }
                resp.setContentType("text/plain");
                resp.getWriter().print("DIFF reader " + esc(req.getCharacterEncoding()) + " " + esc(text.toString()) + "\n");
                break;
            }
            case "/bytes": {
                // Raw bytes through the output stream, no content type.
                int n = Integer.parseInt(req.getParameter("n"));
                byte[] block = new byte[n];
                for (int i = 0; i < n; i++) {
                    block[i] = (byte) ('a' + i % 26);
                }
                if (req.getParameter("flush") != null) {
                    resp.flushBuffer();
                }
                resp.getOutputStream().write(block);
                break;
            }
            default:
                resp.sendError(500, "unknown behaviour");
        }
    }

    private void echo(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        StringBuilder out = new StringBuilder("DIFF echo\n");
        out.append("method: ").append(esc(req.getMethod())).append('\n');
        out.append("protocol: ").append(esc(req.getProtocol())).append('\n');
        out.append("uri: ").append(esc(req.getRequestURI())).append('\n');
        out.append("url: ").append(esc(req.getRequestURL().toString())).append('\n');
        out.append("context: ").append(esc(req.getContextPath())).append('\n');
        out.append("servlet: ").append(esc(req.getServletPath())).append('\n');
        out.append("info: ").append(esc(req.getPathInfo())).append('\n');
        out.append("query: ").append(esc(req.getQueryString())).append('\n');
        out.append("scheme: ").append(esc(req.getScheme())).append('\n');
        out.append("server: ").append(esc(req.getServerName())).append(' ').append(req.getServerPort()).append('\n');
        out.append("encoding: ").append(esc(req.getCharacterEncoding())).append('\n');
        out.append("type: ").append(esc(req.getContentType())).append('\n');
        out.append("length: ").append(req.getContentLength()).append('\n');
        for (Map.Entry<String, String[]> e : req.getParameterMap().entrySet()) {
            out.append("param ").append(esc(e.getKey())).append(":");
            for (String v : e.getValue()) {
                out.append(" [").append(esc(v)).append(']');
            }
            out.append('\n');
        }
        for (String name : Collections.list(req.getHeaderNames())) {
            Enumeration<String> values = req.getHeaders(name);
            while (values.hasMoreElements()) {
                out.append("header ").append(esc(name.toLowerCase())).append(": ").append(esc(values.nextElement())).append('\n');
            }
        }
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                out.append("cookie ").append(esc(c.getName())).append(": ").append(esc(c.getValue())).append('\n');
            }
        }
        InputStream in = req.getInputStream();
        StringBuilder body = new StringBuilder();
        int total = 0;
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                int b = buf[i] & 0xff;
                if (b >= 0x20 && b < 0x7f && b != '\\') {
                    body.append((char) b);
                } else {
                    body.append(String.format("\\x%02x", b));
                }
            }
            total += n;
        }
        out.append("body ").append(total).append(": ").append(body).append('\n');
        if (req.isTrailerFieldsReady()) {
            for (Map.Entry<String, String> e : req.getTrailerFields().entrySet()) {
                out.append("trailer ").append(esc(e.getKey())).append(": ").append(esc(e.getValue())).append('\n');
            }
        }
        resp.setContentType("text/plain");
        PrintWriter writer = resp.getWriter();
        writer.print(out);
    }

    private void session(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String op = req.getParameter("op");
        StringBuilder out = new StringBuilder("DIFF session\n");
        out.append("requested: ").append(req.getRequestedSessionId() != null).append('\n');
        out.append("valid: ").append(req.isRequestedSessionIdValid()).append('\n');
        out.append("cookie: ").append(req.isRequestedSessionIdFromCookie()).append('\n');
        out.append("url: ").append(req.isRequestedSessionIdFromURL()).append('\n');
        HttpSession session = req.getSession("create".equals(op) || "invalidate".equals(op));
        if (session == null) {
            out.append("session: null\n");
        } else {
            out.append("new: ").append(session.isNew()).append('\n');
            out.append("same: ").append(session.getId().equals(req.getRequestedSessionId())).append('\n');
            Object count = session.getAttribute("count");
            int next = count == null ? 1 : ((Integer) count) + 1;
            session.setAttribute("count", next);
            out.append("count: ").append(next).append('\n');
            if ("invalidate".equals(op)) {
                session.invalidate();
                out.append("invalidated\n");
            }
        }
        resp.setContentType("text/plain");
        resp.getWriter().print(out);
    }
}
