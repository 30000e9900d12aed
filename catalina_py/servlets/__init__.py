"""The container's own servlets (Tomcat's ``org.apache.catalina.servlets``)."""
