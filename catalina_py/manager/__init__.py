"""The Manager webapp's classes (``webapps/manager``): its text interface,
its HTML page and the CSRF filter of the page. They live in the container,
as Tomcat's ``ManagerServlet`` lives in ``catalina.jar``, and reach the Host
only through the ``HostDeployer`` a privileged context is given
(``deploy/host_deployer.py``). See docs/deployment.md, "The Manager"."""
