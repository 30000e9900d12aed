// The differential webapp's error page (mapped in web.xml): what the
// container tells an error page. Twin: diffapp.ErrorPage in diffapp.py.
package diffapp;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

public class ErrorPage extends HttpServlet {

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        StringBuilder out = new StringBuilder("DIFF errpage\n");
        out.append("dispatcher: ").append(req.getDispatcherType()).append('\n');
        out.append("method: ").append(DiffServlet.esc(req.getMethod())).append('\n');
        out.append("status: ").append(req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE)).append('\n');
        out.append("uri: ").append(DiffServlet.esc((String) req.getAttribute(RequestDispatcher.ERROR_REQUEST_URI))).append('\n');
        out.append("message: ").append(DiffServlet.esc((String) req.getAttribute(RequestDispatcher.ERROR_MESSAGE))).append('\n');
        resp.setContentType("text/plain");
        resp.getWriter().print(out);
    }
}
