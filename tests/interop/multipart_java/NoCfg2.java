import jakarta.servlet.*;
import jakarta.servlet.annotation.*;
import jakarta.servlet.http.*;
import java.io.*;

@WebServlet("/nocfg2")
public class NoCfg2 extends HttpServlet {
    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        resp.setContentType("text/plain");
        if (req.getQueryString() == null) {
            try { req.getParts(); resp.getWriter().println("ok"); }
            catch (Exception e) { resp.getWriter().println("EXC " + e.getClass().getName() + ": " + e.getMessage()); }
            resp.getWriter().println("param " + req.getParameter("a"));
        } else {
            req.getPart("a");
        }
    }
}
