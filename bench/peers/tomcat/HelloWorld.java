// Peer 4: the same hello page as a Jakarta servlet, for Tomcat 10.
// Compiled by bench/http_hello.py with javac against Tomcat's servlet-api.jar.

import java.io.IOException;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

public class HelloWorld extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        response.setContentType("text/html");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("<!doctype html><html><head><title>Hello World!</title></head>"
                + "<body><h1>Hello World!</h1></body></html>");
    }
}
