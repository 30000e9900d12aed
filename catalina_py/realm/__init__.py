"""Realms: who a user is and which roles they hold (Tomcat's ``Realm``).

:mod:`catalina_py.realm.base` holds the contract every realm meets and the
principal the container hands to servlets; the realms themselves and the
credential handlers live beside it.
"""
