-- Fixture: the start of a `mysqldump --all-databases`: it recreates MySQL's
-- own schema (users, grants), which app_stack refuses to import.
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `mysql` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `mysql`;
DROP TABLE IF EXISTS `user`;
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `homepage` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `homepage`;
