// The Java twin of tests/integration/webapps/multipart (mpprobe.UpServlet): prints what
// getParts() gave, for tests/interop/test_multipart_tomcat.py to compare with catalina_py.
import jakarta.servlet.*;
import jakarta.servlet.annotation.*;
import jakarta.servlet.http.*;
import java.io.*;
import java.util.*;

@WebServlet("/up")
@MultipartConfig(fileSizeThreshold = 100, maxFileSize = 1000, maxRequestSize = 5000)
public class Up extends HttpServlet {
    static void report(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        resp.setContentType("text/plain;charset=UTF-8");
        PrintWriter out = resp.getWriter();
        if (req.getParameter("throw") != null) {
            req.getParts();
        }
        try {
            Collection<Part> parts = req.getParts();
            out.println("parts " + parts.size());
            for (Part p : parts) {
                out.println("part name=" + p.getName() + " file=" + p.getSubmittedFileName() + " ctype=" + p.getContentType() + " size=" + p.getSize());
                for (String h : p.getHeaderNames()) out.println("  header " + h + ": " + p.getHeaders(h) + " first=" + p.getHeader(h));
                InputStream in = p.getInputStream();
                byte[] b = in.readAllBytes();
                out.println("  body " + new String(b, "ISO-8859-1").replace("\r", "\\r").replace("\n", "\\n"));
                out.println("  class " + in.getClass().getSimpleName());
            }
            Part g = req.getPart("nosuch");
            out.println("getPart(nosuch)=" + g);
        } catch (Exception e) {
            out.println("EXC " + e.getClass().getName() + ": " + e.getMessage());
            Throwable c = e.getCause();
            if (c != null) out.println("CAUSE " + c.getClass().getName() + ": " + c.getMessage());
        }
        TreeMap<String, String[]> m = new TreeMap<>(req.getParameterMap());
        for (Map.Entry<String, String[]> e : m.entrySet()) out.println("param " + e.getKey() + "=" + Arrays.toString(e.getValue()));
        File tmp = (File) req.getServletContext().getAttribute(ServletContext.TEMPDIR);
        String[] names = tmp.list();
        int n = 0;
        if (names != null) for (String s : names) if (s.startsWith("upload_")) n++;
        out.println("tempfiles " + n);
    }
    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        report(req, resp);
    }
    @Override
    protected void doPut(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        report(req, resp);
    }
}
